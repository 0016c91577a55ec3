/** Word lists the simulator draws names, products and CRM owners from. */

export const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Clara',
  'David',
  'Elif',
  'Felix',
  'Greta',
  'Hannes',
  'Ines',
  'Jonas',
  'Katja',
  'Lukas',
  'Mia',
  'Noah',
  'Olga',
  'Paul',
  'Quentin',
  'Rosa',
  'Sven',
  'Tara',
  'Umut',
  'Vera',
  'Wim',
  'Yara',
  'Zoe',
] as const;

export const LAST_NAMES = [
  'Schmidt',
  'Meyer',
  'Novak',
  'Dubois',
  'Rossi',
  'Garcia',
  'Jansen',
  'Kowalski',
  'Smith',
  'Yilmaz',
  'Berg',
  'Keller',
  'Moreau',
  'Silva',
  'Nielsen',
  'Horvat',
  'Fischer',
  'Costa',
  'Weber',
  'Brown',
] as const;

export const EMAIL_DOMAINS = [
  'example.com',
  'mail.example.org',
  'shopper.example.net',
  'post.example.de',
] as const;

export const COUNTRIES = ['DE', 'FR', 'NL', 'AT', 'PL', 'IT', 'ES', 'GB', 'US', 'SE'] as const;

export const PRODUCT_CATEGORIES = [
  'books',
  'electronics',
  'garden',
  'kitchen',
  'toys',
  'sports',
  'beauty',
  'grocery',
] as const;

export const PRODUCT_ADJECTIVES = [
  'Compact',
  'Classic',
  'Deluxe',
  'Eco',
  'Smart',
  'Rugged',
  'Mini',
  'Pro',
  'Soft',
  'Bright',
] as const;

export const PRODUCT_NOUNS = [
  'Kettle',
  'Lamp',
  'Backpack',
  'Notebook',
  'Headphones',
  'Planter',
  'Puzzle',
  'Bottle',
  'Towel',
  'Speaker',
  'Knife',
  'Ball',
  'Cream',
  'Coffee',
  'Novel',
] as const;

export const ACCOUNT_OWNERS = ['j.weber', 'm.rossi', 's.nielsen', 'a.costa', 'k.brown'] as const;
